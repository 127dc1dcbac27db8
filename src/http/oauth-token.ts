// OAuth 2.0 token endpoint for internal apps (RFC 6749 §4.4, client credentials): POST /oauth/token.
import { randomUUID } from "node:crypto";
import express, { type Request, type Response } from "express";
import type { Logger } from "pino";
import { sanitizeHeaderValue, type RequestMeta } from "../context";
import { CustosError } from "../errors";
import type { Services } from "../services";
import { describe } from "../services";

/** client_id and client_secret from HTTP Basic (preferred by RFC 6749 §2.3.1) or from the form body. */
function clientCredentials(req: Request): { id: string; secret: string } | null {
  const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.header("authorization") ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1], "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
    return null;
  }
  const body = (req.body ?? {}) as Record<string, unknown>;
  return typeof body.client_id === "string" && typeof body.client_secret === "string" ? { id: body.client_id, secret: body.client_secret } : null;
}

function oauthError(res: Response, status: number, error: string, description: string): void {
  // RFC 6749 §5.2 error shape; no-store so no cache keeps a token or an error about one.
  res.status(status).set("cache-control", "no-store").json({ error, error_description: description });
}

export function oauthTokenRouter(services: Services, logger: Logger): express.Router {
  const router = express.Router();
  router.post("/oauth/token", express.urlencoded({ extended: false, limit: "8kb" }), express.json({ limit: "8kb" }), async (req, res) => {
    const meta: RequestMeta = {
      requestId: (res.locals.requestId as string | undefined) ?? sanitizeHeaderValue(req.header("x-request-id")) ?? randomUUID(),
      operation: "oauth.token",
      clientAddress: req.ip ?? null,
      purpose: null,
    };
    const grant = (req.body as Record<string, unknown> | undefined)?.grant_type;
    if (grant !== "client_credentials") return oauthError(res, 400, "unsupported_grant_type", "only client_credentials is supported");
    const credentials = clientCredentials(req);
    if (!credentials) return oauthError(res, 401, "invalid_client", "client authentication failed");
    try {
      const issued = await services.serviceClients.exchange(meta, credentials.id, credentials.secret);
      res.set("cache-control", "no-store").json({
        access_token: issued.accessToken,
        token_type: "Bearer",
        expires_in: issued.expiresInSeconds,
        scope: issued.scopes.join(" "),
      });
    } catch (error) {
      if (error instanceof CustosError && error.code === "UNAUTHENTICATED") return oauthError(res, 401, "invalid_client", "client authentication failed");
      if (error instanceof CustosError && error.code === "AUDIT_UNAVAILABLE") return oauthError(res, 503, "temporarily_unavailable", "the audit log is unavailable");
      logger.error({ err: describe(error), requestId: meta.requestId }, "token endpoint failed");
      return oauthError(res, 500, "server_error", "internal error");
    }
  });
  return router;
}
