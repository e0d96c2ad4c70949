/** A link offered on an error page, besides the way back to the dashboard. */
export interface ErrorLink {
  href: string;
  text: string;
}

/**
 * An answer other than 200 with a message for the user (Vietnamese); `redirect` sends a browser there instead (GET
 * only); `links` are offered on the error page.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly redirect?: string,
    readonly links: ErrorLink[] = [],
  ) {
    super(message);
  }
}

/** Out of scope and non-existent look the same (docs/interface.md). */
export const notFound = () => new HttpError(404, 'Không tìm thấy trang hoặc dữ liệu này.');

/** The route options of a file download: GET only (a HEAD would make the file, and audit a download not received). */
export const DOWNLOAD = { exposeHeadRoute: false } as const;
