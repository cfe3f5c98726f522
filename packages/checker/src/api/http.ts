import type { ServerResponse } from "node:http";
import { CheckerError } from "../errors.ts";

/** JSON with bigints rendered as decimal strings (the API's one number convention). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
}

export function send(
  res: ServerResponse,
  code: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(code, { "content-type": type, "content-length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, code: number, value: unknown): void {
  send(res, code, "application/json", jsonText(value));
}

/** A refusal a route answers with: status code and a message for the caller (400 for bad query parameters). */
export class HttpError extends CheckerError {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpError";
    this.status = status;
  }
}
