// Account changes that end sessions: the caller's own password, and (ADMIN) deactivating an account.
import { Arg, Ctx, ID, Mutation, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import type { AccountService } from "../services/account.service";
import { actorOf } from "./support";

@Resolver()
export class AccountResolver {
  constructor(private readonly accounts: AccountService) {}

  @Mutation(() => Boolean, { description: "Change the caller's password; every session of the account ends, this one included" })
  changePassword(
    @Arg("currentPassword") currentPassword: string,
    @Arg("newPassword") newPassword: string,
    @Ctx() ctx: RequestContext,
  ): Promise<boolean> {
    return this.accounts.changePassword(actorOf(ctx), currentPassword, newPassword);
  }

  @Mutation(() => Boolean, { description: "Deactivate (every token of the account stops working) or reactivate a staff account" })
  setStaffUserActive(@Arg("id", () => ID) id: string, @Arg("active") active: boolean, @Ctx() ctx: RequestContext): Promise<boolean> {
    return this.accounts.setActive(actorOf(ctx), id, active);
  }
}
