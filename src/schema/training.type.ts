// GraphQL shape of compliance training records.
import { Field, ID, InputType, ObjectType } from "type-graphql";

@ObjectType()
export class TrainingRecord {
  @Field(() => ID) id: string;
  @Field(() => ID) staffId: string;
  @Field() course: string;
  @Field() completedAt: Date;
  @Field() expiresAt: Date;
  @Field(() => ID, { nullable: true }) recordedBy: string | null;
  @Field() recordedAt: Date;
}

@InputType()
export class RecordTrainingInput {
  @Field(() => ID) staffId: string;
  @Field({ description: "Course code, e.g. DATA_PROTECTION (the mandatory one)" }) course: string;
  @Field() completedAt: Date;
  @Field() expiresAt: Date;
}
