// The HTTP edge: request id and caller → context, Apollo at /graphql, health and readiness probes.
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDisableSuggestions } from "@apollo/server/plugin/disableSuggestions";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import { GraphQLError, type GraphQLSchema } from "graphql";
import type { Logger } from "pino";
import type { DataSource } from "typeorm";
import { sanitizeHeaderValue, type RequestContext, type RequestMeta } from "../context";
import { parsePurpose } from "../domain/purpose";
import { migrationsApplied } from "../db/data-source";
import { auditUnavailable, createFormatError, CustosError, isDatabaseUnavailable } from "../errors";
import { documentLimitRules, limitRequestDocuments } from "./document-limits";
import { oauthTokenRouter } from "./oauth-token";
import { defineAbilityFor } from "../policies";
import type { Services } from "../services";
import { describe } from "../services";

export interface HttpOptions {
  host: string;
  port: number;
  introspection: boolean;
  production: boolean;
  trustProxy: boolean;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Records the resolved operation name on the request's metadata, and logs each request once. */
function requestPlugin(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      return {
        async didResolveOperation({ operationName }) {
          contextValue.meta.operation = operationName ?? null;
        },
        async willSendResponse({ response, errors }) {
          const codes = (errors ?? []).map((e) => (e.extensions?.code as string) ?? "INTERNAL");
          logger.info(
            {
              requestId: contextValue.meta.requestId,
              operation: contextValue.meta.operation,
              principal: contextValue.actor?.principal.id ?? null,
              status: response.http.status ?? 200,
              errors: codes.length ? codes : undefined,
              ms: Number(process.hrtime.bigint() - started) / 1e6,
            },
            "graphql request",
          );
        },
      };
    },
  };
}

/** The database cannot be reached (the session check needs it): 503, "retry later", no driver message. */
function serviceUnavailableError(): GraphQLError {
  const original = new CustosError("SERVICE_UNAVAILABLE");
  return new GraphQLError(original.message, {
    originalError: original,
    extensions: { code: "SERVICE_UNAVAILABLE", http: { status: 503 } },
  });
}

/**
 * The last gate before a response leaves: every read of the request must have its audit events on the
 * chain, or the response is replaced by AUDIT_UNAVAILABLE with no data (fail-closed; the reads handed their
 * seals here so that a request waits once, not once per read). Then every response carries, in
 * `extensions.auditReceipts`, where its audit events landed on the log ([{ seq, leafHash }],
 * docs/audit-merkle.md §5): a client can later ask for their inclusion proofs.
 */
function auditResponsePlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          const seals = contextValue.meta.auditSeals ?? [];
          const outcomes = await Promise.allSettled(seals);
          if (outcomes.some((o) => o.status === "rejected")) {
            const refused = auditUnavailable();
            response.body = { kind: "single", singleResult: { data: null, errors: [{ message: refused.message, extensions: { code: refused.code } }] } };
            return;
          }
          const receipts = contextValue.meta.auditReceipts;
          if (!receipts?.length || response.body.kind !== "single") return;
          const result = response.body.singleResult;
          result.extensions = { ...result.extensions, auditReceipts: [...receipts].sort((a, b) => a.seq - b.seq) };
        },
      };
    },
  };
}

function unauthenticatedError(): GraphQLError {
  const original = new CustosError("UNAUTHENTICATED", "Invalid or expired token");
  return new GraphQLError(original.message, {
    originalError: original,
    extensions: { code: "UNAUTHENTICATED", http: { status: 401 } },
  });
}

export async function startHttpServer(
  opts: HttpOptions,
  deps: { schema: GraphQLSchema; services: Services; ds: DataSource; logger: Logger },
): Promise<RunningHttpServer> {
  const { schema, services, ds, logger } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", opts.trustProxy);
  const httpServer = http.createServer(app);

  const apollo = new ApolloServer<RequestContext>({
    schema,
    introspection: opts.introspection,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    // One operation per request (a JSON array is refused by limitRequestDocuments), and every document
    // is held to the depth, alias, sensitive-mutation, page-size and cost limits before it executes.
    allowBatchedHttpRequests: false,
    validationRules: documentLimitRules(),
    // Shutdown is ours (src/main.ts): drain HTTP, close the pool, stop the embedded database, exit 0.
    stopOnTerminationSignals: false,
    formatError: createFormatError(
      (error, formatted) => {
        logger.error({ err: describe((error as { originalError?: unknown })?.originalError ?? error), path: formatted.path }, "internal error");
      },
      (error) => logger.warn({ err: describe((error as { originalError?: unknown })?.originalError ?? error) }, "database unreachable: answered SERVICE_UNAVAILABLE"),
    ),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      ...(opts.production ? [ApolloServerPluginDisableSuggestions()] : []),
      requestPlugin(logger),
      auditResponsePlugin(),
    ],
  });
  await apollo.start();

  app.use((req, res, next) => {
    const requestId = sanitizeHeaderValue(req.header("x-request-id")) ?? randomUUID();
    res.setHeader("x-request-id", requestId);
    res.locals.requestId = requestId;
    next();
  });
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    try {
      await ds.query("SELECT 1");
      const migrated = await migrationsApplied(ds);
      if (!migrated) return void res.status(503).json({ status: "migrations pending" });
      // Journalled audit events not yet sealed onto the chain (docs/audit-sequencer.md): a backlog older
      // than a read's seal timeout means reads are failing closed, so this replica is not ready.
      const [backlog] = await ds.query(
        `SELECT count(*)::int AS pending, COALESCE(extract(epoch FROM now() - min(journalled_at)) * 1000, 0)::int AS "oldestMs" FROM audit_pending`,
      );
      const behind = backlog.oldestMs > services.sequencer.sealTimeoutMs;
      // The sequencer's rounds since start, by kind: failed ones mean refused reads, speculative ones a heavy load.
      res.status(behind ? 503 : 200).json({ status: behind ? "audit sealing behind" : "ready", auditJournal: backlog, auditRounds: services.sequencer.rounds });
    } catch {
      res.status(503).json({ status: "database unreachable" });
    }
  });
  // Public keys for verifiers of our tokens (internal apps, auditors): current and retired-in-grace, by kid.
  app.get("/.well-known/jwks.json", async (_req, res) => {
    const jwks = await services.auth.jwks();
    res.set("cache-control", "public, max-age=300").json(jwks);
  });
  // The key that verifies signed audit checkpoints (docs/audit-checkpoints.md); separate from token keys.
  app.get("/.well-known/audit-checkpoint-keys.json", (_req, res) => {
    res.set("cache-control", "public, max-age=300").json(services.checkpoints.jwks());
  });
  app.use(oauthTokenRouter(services, logger));
  app.use(
    "/graphql",
    express.json({ limit: "1mb" }),
    limitRequestDocuments(),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<RequestContext> => {
        const meta: RequestMeta = {
          requestId: res.locals.requestId as string,
          operation: null,
          clientAddress: req.ip ?? null,
          purpose: parsePurpose(req.header("x-custos-purpose")),
          auditReceipts: [],
          auditSeals: [],
        };
        const header = req.header("authorization");
        if (!header) return { actor: null, meta };
        const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
        if (!match) throw unauthenticatedError();
        try {
          const { principal, sessionId } = await services.auth.authenticateSession(match[1]);
          return { actor: { principal, ability: defineAbilityFor(principal, { purpose: meta.purpose }), meta, sessionId }, meta };
        } catch (error) {
          if (error instanceof CustosError && error.code === "UNAUTHENTICATED") throw unauthenticatedError();
          if (isDatabaseUnavailable(error)) {
            logger.warn({ err: describe(error), requestId: meta.requestId }, "database unreachable during the session check");
            throw serviceUnavailableError();
          }
          throw error;
        }
      },
    }),
  );

  // Bodies Express itself rejects (too large, not JSON) get a coded JSON error, never its HTML stack page.
  app.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: number })?.status;
    if (status === 413 || status === 400 || status === 415) {
      const message = status === 413 ? "Request body too large" : "Request body is not valid JSON";
      res.status(status).json({ errors: [{ message, extensions: { code: "BAD_USER_INPUT" } }] });
      return;
    }
    logger.error({ err: describe(error), requestId: res.locals.requestId }, "unhandled HTTP error");
    res.status(500).json({ errors: [{ message: "Internal error", extensions: { code: "INTERNAL" } }] });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const shownHost = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  let stopped: Promise<void> | null = null;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    port,
    stop: () => (stopped ??= apollo.stop()),
  };
}
