// Test databases live in backend.ts (either backend); this file keeps the older import path.
export { freshStorage, tempDir, type TestStorage } from './backend';
