// GraphQL shapes for identity: the login result and the caller's own principal.
import { Field, ID, ObjectType } from "type-graphql";
import type { BusinessLine, Role } from "../domain/enums";
import { BusinessLineEnum, RoleEnum } from "./enums";

@ObjectType()
export class AuthPayload {
  @Field() accessToken: string;
  @Field() tokenType: string;
  @Field() expiresAt: Date;
  @Field({ description: "Opaque, single use: refreshSession spends it and returns the next one" }) refreshToken: string;
  @Field({ description: "When the session ends, however often it is refreshed" }) refreshExpiresAt: Date;
}

@ObjectType({ description: "The authenticated caller" })
export class Me {
  @Field(() => ID) id: string;
  @Field(() => RoleEnum) role: Role;
  @Field(() => BusinessLineEnum, { nullable: true }) businessLine: BusinessLine | null;
  @Field(() => ID, { nullable: true }) teamId: string | null;
  @Field({ description: "STAFF or SERVICE" }) kind: string;
  @Field({ description: "Mandatory compliance training is current (without it PII is masked)" }) trainingCurrent: boolean;
  @Field(() => [String], { description: "Scopes of a SERVICE identity" }) scopes: string[];
}
