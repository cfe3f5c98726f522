import { readFileSync } from "node:fs";
import { send } from "./http.ts";
import type { Route } from "./router.ts";

const ASSETS = new URL("./dashboard/", import.meta.url);

/**
 * The dashboard as one self-contained page: index.html with styles.css and
 * app.js inlined, read once at startup. No external asset, font or CDN: it
 * works offline and on a laptop with nothing else running.
 */
export function dashboardPage(): string {
  const read = (name: string) => readFileSync(new URL(name, ASSETS), "utf8");
  const html = read("index.html");
  const page = html
    .replace("/*__STYLES__*/", () => read("styles.css"))
    .replace("/*__SCRIPT__*/", () => read("app.js"));
  if (page.includes("/*__STYLES__*/") || page.includes("/*__SCRIPT__*/")) {
    throw new Error("dashboard index.html lost its placeholders");
  }
  return page;
}

/** `GET /`: the dashboard page. */
export function dashboardRoutes(): Route[] {
  const page = dashboardPage();
  return [
    {
      path: "/",
      handler: ({ res }) =>
        send(res, 200, "text/html; charset=utf-8", page, {
          // Nothing from elsewhere: scripts and styles are inline, data comes from this origin.
          "content-security-policy":
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
          "cache-control": "no-cache",
        }),
    },
  ];
}
