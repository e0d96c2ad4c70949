/** An answer other than 200 with a message for the user (Vietnamese); `redirect` sends a browser there instead. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly redirect?: string,
  ) {
    super(message);
  }
}

/** Out of scope and non-existent look the same (docs/interface.md). */
export const notFound = () => new HttpError(404, 'Không tìm thấy trang hoặc dữ liệu này.');
