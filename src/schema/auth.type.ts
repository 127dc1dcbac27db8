// GraphQL shapes for identity: the login result and the caller's own principal.
import { Field, ID, ObjectType } from "type-graphql";
import type { BusinessLine, Role } from "../domain/enums";
import { BusinessLineEnum, RoleEnum } from "./enums";

@ObjectType()
export class AuthPayload {
  @Field() accessToken: string;
  @Field() tokenType: string;
  @Field() expiresAt: Date;
}

@ObjectType({ description: "The authenticated caller" })
export class Me {
  @Field(() => ID) id: string;
  @Field(() => RoleEnum) role: Role;
  @Field(() => BusinessLineEnum, { nullable: true }) businessLine: BusinessLine | null;
  @Field(() => ID, { nullable: true }) teamId: string | null;
}
