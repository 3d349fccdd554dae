/** The token of an `Authorization: Bearer <token>` header; null when there is none or it is malformed. */
export function bearer(header: string | undefined): string | null {
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match === null ? null : match[1];
}
