/**
 * Just enough of the zip format to unpack a Lambda deployment package (`Code.ZipFile`): stored
 * and deflated entries, read through the central directory.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/**
 * "Deployment package (.zip file archive) size: ... 250 MB (unzipped)"
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html); inflating stops
 * there, so a small archive that expands without end is refused instead of filling memory.
 */
export const MAX_UNZIPPED_BYTES = 250 * 1024 * 1024;
const CENTRAL_DIRECTORY_HEADER = 0x02014b50;

/** Writes every file of the archive below `target`; rejects entries that would escape it. */
export async function extractZip(
  archive: Buffer,
  target: string,
  maxUnzippedBytes = MAX_UNZIPPED_BYTES,
): Promise<void> {
  let unzipped = 0;
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
    const remaining = maxUnzippedBytes - unzipped;
    if (method === 0 && data.length > remaining) throw new Error('Unzipped size must be smaller than 250 MB');
    let content: Buffer;
    try {
      content = method === 8 ? inflateRawSync(data, { maxOutputLength: Math.max(1, remaining) }) : data;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new Error('Unzipped size must be smaller than 250 MB');
      }
      throw error;
    }
    unzipped += content.length;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, content);
  }
}

function findEndOfCentralDirectory(archive: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  for (let offset = archive.length - 22; offset >= Math.max(0, archive.length - 22 - 0xffff); offset--) {
    if (archive.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) return offset;
  }
  throw new Error('Not a zip archive: no end of central directory record');
}
