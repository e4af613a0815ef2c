/**
 * The files of a `--data-dir` and how each is written so a crash at any instant leaves a readable
 * directory:
 *
 *   snapshot-<generation>.json  the whole state when generation <generation> began: one header line
 *                               (format, generation, byte count, CRC-32 of the body), then the body
 *   wal-<generation>.log        every change recorded after that snapshot (frames.ts)
 *   state.json                  the previous format (one snapshot, no log); read once, then replaced
 *
 * Snapshots are replaced atomically: written to a temporary file, fsynced, renamed over, then the
 * directory is fsynced so the rename itself survives a power loss.
 */
import { open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

const SNAPSHOT_FORMAT = 'oncely-local-cloud-snapshot';
const SNAPSHOT_VERSION = 2;
export const LEGACY_STATE_FILE = 'state.json';
const LEGACY_FORMAT_VERSION = 1;

const SNAPSHOT_NAME = /^snapshot-(\d{12})\.json$/;
const LOG_NAME = /^wal-(\d{12})\.log$/;
/** Temporary files this module (or the previous format) writes; anything else is left alone. */
const TEMPORARY_NAME = /^(?:snapshot-\d{12}\.json|state\.json)\.[^/]*\.tmp$/;

export const snapshotName = (generation: number) => `snapshot-${String(generation).padStart(12, '0')}.json`;
export const logName = (generation: number) => `wal-${String(generation).padStart(12, '0')}.log`;

export interface DataFiles {
  /** Generations with a snapshot file, newest first. */
  readonly snapshots: number[];
  /** Generations with a log file, oldest first. */
  readonly logs: number[];
  readonly legacy: boolean;
  /** Temporary files a crash left behind (already removed). */
  readonly removedTemporaries: string[];
}

/** Lists the directory's data files and removes the temporary files an interrupted write left. */
export async function scanDataDir(dir: string): Promise<DataFiles> {
  const names = await readdir(dir);
  const snapshots: number[] = [];
  const logs: number[] = [];
  const removedTemporaries: string[] = [];
  for (const name of names) {
    const snapshot = SNAPSHOT_NAME.exec(name);
    const log = LOG_NAME.exec(name);
    if (snapshot) snapshots.push(Number(snapshot[1]));
    else if (log) logs.push(Number(log[1]));
    else if (TEMPORARY_NAME.test(name)) {
      await rm(join(dir, name), { force: true });
      removedTemporaries.push(name);
    }
  }
  if (removedTemporaries.length > 0) await syncDirectory(dir);
  return {
    snapshots: snapshots.sort((a, b) => b - a),
    logs: logs.sort((a, b) => a - b),
    legacy: names.includes(LEGACY_STATE_FILE),
    removedTemporaries,
  };
}

export interface Snapshot {
  readonly generation: number;
  readonly services: Record<string, unknown>;
}

/** The bytes of a snapshot file: a header line naming the body's length and checksum, then the body. */
export function encodeSnapshot(generation: number, servicesJson: string): Buffer {
  const body = Buffer.from(`{"services":${servicesJson}}`, 'utf8');
  const header = JSON.stringify({
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    generation,
    bytes: body.length,
    crc32: crc32(body),
  });
  return Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), body]);
}

/** Reads and checks a snapshot; throws an Error naming the file and what is wrong with it. */
export async function readSnapshot(dir: string, generation: number): Promise<Snapshot> {
  const file = join(dir, snapshotName(generation));
  const data = await readFile(file);
  const newline = data.indexOf(0x0a);
  const fail = (reason: string) => new Error(`${file} is damaged: ${reason}`);
  if (newline < 0) throw fail(`no header line (${data.length} bytes)`);
  let header: { format?: unknown; version?: unknown; generation?: unknown; bytes?: unknown; crc32?: unknown };
  try {
    header = JSON.parse(data.subarray(0, newline).toString('utf8'));
  } catch {
    throw fail('unreadable header line');
  }
  if (header.format !== SNAPSHOT_FORMAT || header.version !== SNAPSHOT_VERSION) {
    throw fail(`unknown format ${String(header.format)} version ${String(header.version)}`);
  }
  if (header.generation !== generation) throw fail(`header says generation ${String(header.generation)}`);
  const body = data.subarray(newline + 1);
  if (body.length !== header.bytes) throw fail(`truncated: ${body.length} of ${String(header.bytes)} bytes`);
  if (crc32(body) !== header.crc32) throw fail('checksum mismatch');
  const parsed = JSON.parse(body.toString('utf8')) as { services?: Record<string, unknown> };
  return { generation, services: parsed.services ?? {} };
}

/** The previous format's state.json; throws an Error naming the file when it cannot be read. */
export async function readLegacyState(dir: string): Promise<Record<string, unknown>> {
  const file = join(dir, LEGACY_STATE_FILE);
  let state: { version?: unknown; services?: Record<string, unknown> };
  try {
    state = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(
      `${file} (written by an earlier Oncely, without a log) cannot be read: ${(error as Error).message}. ` +
        'There is no earlier good state to start from; move the file away to start empty.',
    );
  }
  if (state.version !== LEGACY_FORMAT_VERSION) {
    throw new Error(`${file} has format ${String(state.version)}, expected ${LEGACY_FORMAT_VERSION}`);
  }
  return state.services ?? {};
}

/** Writes a file so that it is either absent or complete after any crash, including a power loss. */
export async function writeFileAtomically(dir: string, name: string, data: Buffer): Promise<void> {
  const target = join(dir, name);
  const temporary = `${target}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, target);
  await syncDirectory(dir);
}

/**
 * Makes the directory's entries (created, renamed, removed files) durable. Platforms that cannot
 * open a directory (Windows) make renames durable by themselves; there this does nothing.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (process.platform !== 'win32') throw error;
  } finally {
    await handle?.close();
  }
}

/** Sets a damaged file aside (`<name>.damaged`) so later starts do not trip over it again. */
export async function setAside(dir: string, name: string): Promise<string> {
  const aside = `${name}.damaged`;
  await rename(join(dir, name), join(dir, aside));
  return aside;
}

export async function removeFiles(dir: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  for (const name of names) await rm(join(dir, name), { force: true });
  await syncDirectory(dir);
}
