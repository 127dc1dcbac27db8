// Training records: compliance officers record them; staff read their own.
import { Arg, Ctx, ID, Mutation, Query, Resolver } from "type-graphql";
import type { RequestContext } from "../context";
import { RecordTrainingInput, TrainingRecord } from "../schema/training.type";
import type { TrainingService } from "../services/training.service";
import { actorOf } from "./support";

@Resolver(() => TrainingRecord)
export class TrainingResolver {
  constructor(private readonly training: TrainingService) {}

  @Mutation(() => TrainingRecord)
  recordTraining(@Arg("input", () => RecordTrainingInput) input: RecordTrainingInput, @Ctx() ctx: RequestContext) {
    return this.training.record(actorOf(ctx), input);
  }

  @Query(() => [TrainingRecord])
  trainingRecords(@Arg("staffId", () => ID) staffId: string, @Ctx() ctx: RequestContext) {
    return this.training.list(actorOf(ctx), staffId);
  }
}
