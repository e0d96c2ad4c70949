/** A link offered on an error page, besides the way back to the dashboard. */
export interface ErrorLink {
  href: string;
  text: string;
}

/**
 * An answer other than 200 with a message for the user (Vietnamese); `redirect` sends a browser there instead (GET
 * only); `links` are offered on the error page; `title` is the page's, when the status alone would not say what
 * happened (app.ts, titleOf).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly redirect?: string,
    readonly links: ErrorLink[] = [],
    readonly title?: string,
  ) {
    super(message);
  }
}

/** Out of scope and non-existent look the same (docs/interface.md). */
export const notFound = () => new HttpError(404, 'Không tìm thấy trang hoặc dữ liệu này.');

/** The route options of a file download: GET only (a HEAD would make the file, and audit a download not received). */
export const DOWNLOAD = { exposeHeadRoute: false } as const;

/**
 * `Content-Disposition` of a download named `name` (codes come from data files): `filename` in ASCII, every other
 * character `_`, for any client; and, when the name has letters beyond ASCII (a unit code `ĐV-ĐẶC-01`), the name
 * itself in `filename*` (RFC 6266), which browsers prefer: `mau02-ĐV-ĐẶC-01-….xlsx`, not `mau02-_V-__C-01-….xlsx`,
 * the same for two units whose codes differ only in such letters. What a file name cannot hold (`/`, `\`, `:`,
 * quotes, spaces, control characters) is `_` in both.
 */
export function attachment(name: string): string {
  const safe = name.normalize('NFC').replace(/[^\p{L}\p{N}._-]/gu, '_');
  const ascii = safe.replace(/[^A-Za-z0-9._-]/g, '_');
  return ascii === safe ? `attachment; filename="${ascii}"` : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(safe)}`;
}
