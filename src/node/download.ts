/**
 * Fetch a file once into the data cache: streamed to `<dest>.part`, renamed into
 * place only when complete, with a progress bar on a terminal. Offline or failing
 * downloads become a UserError that says where to put the file by hand.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { UserError } from '../util/errors.js';

export interface DownloadOptions {
  /** Shown in messages, e.g. "CIFAR-10". */
  readonly label: string;
  readonly progress?: boolean;
  /** Injected in tests; defaults to the global fetch. */
  readonly fetchImpl?: typeof fetch;
}

export async function downloadFile(url: string, dest: string, opts: DownloadOptions): Promise<void> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const manual = `download ${url} by hand and put it at ${dest}`;
  let res: Response;
  try {
    res = await (opts.fetchImpl ?? fetch)(url);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    throw new UserError(`cannot download ${opts.label} (${cause}): no network? ${manual}`);
  }
  if (!res.ok || !res.body) throw new UserError(`cannot download ${opts.label}: HTTP ${res.status} from ${url}; ${manual}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const bar =
    (opts.progress ?? Boolean(process.stdout.isTTY)) && total > 0
      ? new cliProgress.SingleBar({ format: `${opts.label} |{bar}| {percentage}% {value}/{total} bytes {eta_formatted}` }, cliProgress.Presets.shades_classic)
      : undefined;
  bar?.start(total, 0);
  const part = `${dest}.part`;
  const out = fs.createWriteStream(part);
  let got = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      got += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      bar?.update(got);
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (e) {
    out.destroy();
    fs.rmSync(part, { force: true });
    throw new UserError(`download of ${opts.label} interrupted after ${got} bytes (${(e as Error).message}); rerun, or ${manual}`);
  } finally {
    bar?.stop();
  }
  if (total > 0 && got !== total) {
    fs.rmSync(part, { force: true });
    throw new UserError(`download of ${opts.label} incomplete: ${got} of ${total} bytes; rerun, or ${manual}`);
  }
  fs.renameSync(part, dest);
}

export function fileDigest(file: string, algorithm: 'md5' | 'sha256'): string {
  return createHash(algorithm).update(fs.readFileSync(file)).digest('hex');
}

/** Verify a cached archive; a mismatching file is deleted so the next run fetches it again. */
export function verifyChecksum(file: string, algorithm: 'md5' | 'sha256', expected: string, label: string): void {
  const actual = fileDigest(file, algorithm);
  if (actual !== expected) {
    fs.rmSync(file, { force: true });
    throw new UserError(`${file}: ${algorithm} checksum mismatch for ${label} (got ${actual}, expected ${expected}); the bad file was deleted, rerun to download it again`);
  }
}
