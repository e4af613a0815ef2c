/**
 * Just enough of the zip format to unpack a Lambda deployment package (`Code.ZipFile`): stored
 * and deflated entries, read through the central directory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;

/** Writes every file of the archive below `target`; rejects entries that would escape it. */
export async function extractZip(archive: Buffer, target: string): Promise<void> {
  const end = findEndOfCentralDirectory(archive);
  const entries = archive.readUInt16LE(end + 10);
  let offset = archive.readUInt32LE(end + 16);
  const root = resolve(target);
  for (let index = 0; index < entries; index++) {
    if (archive.readUInt32LE(offset) !== CENTRAL_DIRECTORY_HEADER) throw new Error('Corrupt zip: bad header');
    const method = archive.readUInt16LE(offset + 10);
    const compressedSize = archive.readUInt32LE(offset + 20);
    const nameLength = archive.readUInt16LE(offset + 28);
    const extraLength = archive.readUInt16LE(offset + 30);
    const commentLength = archive.readUInt16LE(offset + 32);
    const localHeader = archive.readUInt32LE(offset + 42);
    const name = archive.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;

    const path = resolve(root, name);
    if (path !== root && !path.startsWith(root + sep))
      throw new Error(`Zip entry escapes the target: ${name}`);
    if (name.endsWith('/')) {
      await mkdir(path, { recursive: true });
      continue;
    }
    const dataStart =
      localHeader + 30 + archive.readUInt16LE(localHeader + 26) + archive.readUInt16LE(localHeader + 28);
    const data = archive.subarray(dataStart, dataStart + compressedSize);
    if (method !== 0 && method !== 8) throw new Error(`Unsupported zip compression method ${method}`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, method === 8 ? inflateRawSync(data) : data);
  }
}

function findEndOfCentralDirectory(archive: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  for (let offset = archive.length - 22; offset >= Math.max(0, archive.length - 22 - 0xffff); offset--) {
    if (archive.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) return offset;
  }
  throw new Error('Not a zip archive: no end of central directory record');
}
