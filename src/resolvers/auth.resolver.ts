// Login and "who am I".
import { Arg, Ctx, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { AuthPayload, Me } from "../schema/auth.type";
import type { AuthService } from "../services/auth.service";
import { actorOf } from "./support";

@Resolver()
export class AuthResolver {
  constructor(private readonly auth: AuthService) {}

  @Mutation(() => AuthPayload, { description: "Exchange staff credentials for a short-lived access token" })
  async login(@Arg("email") email: string, @Arg("password") password: string, @Ctx() ctx: RequestContext): Promise<AuthPayload> {
    const { accessToken, expiresAt } = await this.auth.login(ctx.meta, email, password);
    return { accessToken, expiresAt, tokenType: "Bearer" };
  }

  @Query(() => Me)
  me(@Ctx() ctx: RequestContext): Me {
    return { ...actorOf(ctx).principal! };
  }
}
