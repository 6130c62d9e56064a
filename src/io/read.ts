/**
 * Reading input files safely: bad input becomes a notification, never an exception.
 * Nothing read here is executed.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Notification } from '../core/finding.js';
import { SourceFile } from '../core/source.js';

/** Files above this size are skipped with a notification: migrations and handlers are never this big. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

export type ReadResult = { file: SourceFile } | { notification: Notification };

export function relativePath(root: string, absolute: string): string {
  const rel = path.relative(root, absolute).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}

export function readSourceFile(absolute: string, root: string): ReadResult {
  const relPath = relativePath(root, absolute);
  let size: number;
  try {
    const stat = statSync(absolute);
    // A FIFO or a device would block the read (or never end); a folder cannot be read as a file.
    if (!stat.isFile()) {
      const what = stat.isDirectory() ? 'it is a directory' : stat.isFIFO() ? 'it is a named pipe' : 'it is not a regular file';
      return { notification: { id: 'unreadable-file', level: 'error', path: relPath, message: `Cannot read ${relPath}: ${what}.` } };
    }
    size = stat.size;
  } catch (error) {
    return { notification: { id: 'unreadable-file', level: 'error', path: relPath, message: `Cannot read ${relPath}: ${errorText(error)}.` } };
  }
  if (size > MAX_FILE_BYTES) {
    return {
      notification: {
        id: 'file-too-large',
        level: 'warning',
        path: relPath,
        message: `Skipped ${relPath}: ${(size / 1024 / 1024).toFixed(1)} MB is over the ${MAX_FILE_BYTES / 1024 / 1024} MB limit for one file.`,
      },
    };
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolute);
  } catch (error) {
    return { notification: { id: 'unreadable-file', level: 'error', path: relPath, message: `Cannot read ${relPath}: ${errorText(error)}.` } };
  }
  return decode(bytes, absolute, relPath);
}

/** Decodes UTF-8 (with or without BOM); binary and non-UTF-8 input becomes a notification. */
export function decode(bytes: Buffer, absolute: string, relPath: string): ReadResult {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return {
      notification: { id: 'not-utf8', level: 'warning', path: relPath, message: `Skipped ${relPath}: it is UTF-16. Re-save it as UTF-8 so it can be checked.` },
    };
  }
  if (bytes.includes(0)) {
    return { notification: { id: 'binary-file', level: 'warning', path: relPath, message: `Skipped ${relPath}: it is a binary file (it contains NUL bytes).` } };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return {
      notification: {
        id: 'not-utf8',
        level: 'warning',
        path: relPath,
        message: `Skipped ${relPath}: it is not valid UTF-8. Re-save it as UTF-8 so it can be checked.`,
      },
    };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { file: new SourceFile(absolute, relPath, text) };
}

function errorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'EACCES') return 'permission denied';
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'ELOOP') return 'symbolic link loop';
  if (e?.code === 'EISDIR') return 'it is a directory';
  return e?.message ?? String(error);
}
