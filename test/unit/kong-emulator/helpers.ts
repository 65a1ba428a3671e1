import { afterEach } from "vitest";
import {
  startKongEmulator,
  type KongEmulator,
  type KongEmulatorOptions,
} from "../../support/kong-emulator/index.ts";

const running: KongEmulator[] = [];

/** Starts an emulator that is stopped after the current test. */
export async function emulator(options?: KongEmulatorOptions): Promise<KongEmulator> {
  const emu = await startKongEmulator(options);
  running.push(emu);
  return emu;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map(e => e.stop()));
});

export interface Sent {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

export async function call(
  base: string,
  path: string,
  init: {
    method?: string;
    body?: string;
    contentType?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Sent> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.contentType !== undefined) headers["content-type"] = init.contentType;
  const res = await fetch(`${base}${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.body === undefined ? {} : { body: init.body }),
    signal: AbortSignal.timeout(5000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const postJson = (base: string, doc: unknown, query = ""): Promise<Sent> =>
  call(base, `/config${query}`, {
    method: "POST",
    body: JSON.stringify(doc),
    contentType: "application/json",
  });

export const SERVICE_DOC = {
  _format_version: "3.0",
  services: [{ name: "foo", host: "echo.default.svc", routes: [{ name: "foo-r", paths: ["/"] }] }],
};
