export default async function globalSetup(): Promise<void> {
  // e2e tests start the built server; they build it themselves once (see test/support/server.ts).
}
