// GraphQL shapes of erasure and legal holds (the subject access export is a String of JSON).
import { Field, ID, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "The outcome of an erasure: the data key is destroyed, the cases are kept pseudonymously." })
export class ErasureResult {
  @Field(() => ID) customerId: string;
  @Field({ description: "Pseudonymous customer number, which the kept cases still carry" }) reference: string;
  @Field() erasedAt: Date;
  @Field(() => Int) casesKept: number;
}

@ObjectType({ description: "A legal hold: while active (releasedAt null) it blocks erasure of the customer." })
export class LegalHold {
  @Field(() => ID) id: string;
  @Field(() => ID) customerId: string;
  @Field({ description: "Reference code of the matter (no prose)" }) reason: string;
  @Field(() => ID) placedBy: string;
  @Field() placedAt: Date;
  @Field(() => ID, { nullable: true }) releasedBy: string | null;
  @Field(() => Date, { nullable: true }) releasedAt: Date | null;
}
