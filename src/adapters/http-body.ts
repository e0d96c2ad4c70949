// Reading a registry answer without trusting it: the body is read as a stream and given up as soon as it passes
// the bound, whatever Content-Length or chunked encoding claim. (`res.text()` held a 1 GB chunked answer whole:
// a run with 4 requests in flight reached 6.2 GB.) Counted after decompression, so a small gzip bomb is caught too.
import { WireError } from './http-wire.js';
import { RegistryAnswerTooLargeError, RegistryRefusedError, RegistryRejectedError } from './http-errors.js';

/** The default bound on one answer: an answer for 1000 people with every value disclosed is well under 1 MB. */
export const DEFAULT_MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export async function readBounded(res: Response, maxBytes: number, endpoint: string): Promise<string> {
  const tooLarge = () =>
    new RegistryAnswerTooLargeError(`${endpoint} answer larger than ${maxBytes} bytes (DDCN_REGISTRY_MAX_ANSWER_BYTES); not read further, not used`);
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined); // closes the connection: the rest is never received
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** Codes of a 400 that are about the request's form, which splitting it cannot help. */
const FORM_CODES = new Set(['invalid_json', 'duplicate_request_id']);
const PERSON_PATH = /\brequests\.\d+\.[a-z_]+/g;

/**
 * The error for an HTTP 400: a refusal of the data (which the pipeline may split the request to isolate), or of
 * the request's form. The registry's message is not repeated, as it may quote values; only the paths it names.
 */
export function badRequest(endpoint: string, text: string): RegistryRejectedError {
  let code = '';
  // Stryker disable next-line StringLiteral: the initial message is searched only for person paths (requests.N.field), which junk text has none of: the same refusal
  let message = '';
  try {
    const parsed = WireError.safeParse(JSON.parse(text));
    // Stryker disable next-line ConditionalExpression: a body that is JSON but not the error shape throws inside the try, whose catch leaves code and message empty: the same refusal
    if (parsed.success) ({ code, message } = parsed.data.error);
  } catch {
    // not JSON: a refusal without reasons
  }
  if (FORM_CODES.has(code)) return new RegistryRejectedError(400, `${endpoint}: HTTP 400 ${code}`);
  const paths = [...new Set(message.match(PERSON_PATH) ?? [])];
  return new RegistryRefusedError(`${endpoint}: HTTP 400${code ? ` ${code}` : ''}${paths.length ? ` at ${paths.join(', ')}` : ''}`, paths);
}
