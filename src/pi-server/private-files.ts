/**
 * What the backend keeps is its user's alone: histories hold every conversation, and the workspace
 * whatever the agent made. Directories are made 0700 and files 0600 explicitly; `main` also sets
 * the umask to 077, so what pi writes itself (session histories, the agent's files) is private too.
 */
import { chmodSync, mkdirSync } from "node:fs";

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Makes `path` and any missing parents with mode 0700 (an existing directory keeps its mode). */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Makes `PI_DATA_DIR`, or closes an existing one (an older backend made it 0755), to its owner. */
export function makePrivateDataDir(dataDir: string): void {
  makePrivateDir(dataDir);
  chmodSync(dataDir, PRIVATE_DIR_MODE);
}
