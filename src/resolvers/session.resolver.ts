// Sessions: refresh (rotating the refresh token) and logout.
import { Arg, Ctx, Mutation, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { AuthPayload } from "../schema/auth.type";
import type { SessionService } from "../services/session.service";
import { actorOf } from "./support";

@Resolver()
export class SessionResolver {
  constructor(private readonly sessions: SessionService) {}

  @Mutation(() => AuthPayload, {
    description: "Spend a refresh token for a new access token and the next refresh token. Send it without an Authorization header.",
  })
  async refreshSession(@Arg("refreshToken") refreshToken: string, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return { ...(await this.sessions.refresh(ctx.meta, refreshToken)), tokenType: "Bearer" };
  }

  @Mutation(() => Boolean, { description: "End the caller's session: its refresh tokens and its access tokens" })
  logout(@Ctx() ctx: RequestContext): Promise<boolean> {
    const actor = actorOf(ctx);
    return this.sessions.logout(actor, ctx.actor?.sessionId ?? null);
  }
}
