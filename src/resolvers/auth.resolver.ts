// Login and "who am I".
import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { AuthPayload, Me } from "../schema/auth.type";
import type { AuthService } from "../services/auth.service";
import { actorOf } from "./support";

@Resolver()
export class AuthResolver {
  constructor(private readonly auth: AuthService) {}

  @Mutation(() => AuthPayload, { description: "Exchange staff credentials for a short-lived access token and a refresh token" })
  async login(@Arg("email") email: string, @Arg("password") password: string, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    return { ...(await this.auth.login(ctx.meta, email, password)), tokenType: "Bearer" };
  }

  @Query(() => Me)
  me(@Ctx() ctx: RequestContext): Me {
    const p = actorOf(ctx).principal!;
    return { ...p, kind: p.kind.toUpperCase(), scopes: [...p.scopes] };
  }
}
