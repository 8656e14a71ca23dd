/**
 * Whatever goes wrong with a request ends as an HTTP answer (or a closed socket),
 * never as a crash of the one process everyone depends on.
 */
import http from 'node:http';
import type https from 'node:https';
import type { NextFunction, Request, Response } from 'express';
import type express from 'express';

/** Last resort: whatever a handler throws becomes an HTTP error, never a crash. */
export function answerErrors(app: express.Express, log: (message: string) => void): void {
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error); // express's default handler closes the connection
      return;
    }
    const { status, statusCode } = (error ?? {}) as { status?: unknown; statusCode?: unknown };
    const code = [status, statusCode].find(
      (c): c is number => typeof c === 'number' && c >= 400 && c < 600,
    );
    if (code === undefined || code >= 500) log(`request failed: ${String(error)}`);
    const finalCode = code ?? 500;
    res.status(finalCode).type('text/plain').send(`${http.STATUS_CODES[finalCode] ?? 'Error'}\n`);
  });
}

/**
 * Malformed HTTP (bad request line, oversized headers...) arrives here rather
 * than in express. Without a listener Node answers 400 itself, but a
 * listener also lets us drop already-dead sockets quietly.
 */
export function answerMalformedHttp(server: http.Server | https.Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // A timed-out connection is usually one a browser opened ahead of need and has
    // not used yet: an answer written onto it would be read as the answer to the
    // next page load (which then fails), so just close it.
    if (error.code === 'ECONNRESET' || error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });
}
