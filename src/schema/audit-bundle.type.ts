// GraphQL shape of a signed export bundle: the file itself as a string (docs/audit-bundle-format.md) and a
// summary of what it holds, so a client can check it before saving it for `custos-verify`.
import { SafeIntResolver } from "graphql-scalars";
import { Field, ID, Int, ObjectType } from "type-graphql";

@ObjectType({ description: "A signed audit bundle (at most 5,000 events here; `custos export` has no cap)" })
export class AuditBundleExport {
  @Field({ description: "The bundle file, byte for byte: save it as is and check it with `custos-verify`" }) content: string;
  @Field(() => Int) eventCount: number;
  @Field(() => Int, { description: "Events about an erased subject: only their position, hashes and proof" }) redactedCount: number;
  @Field(() => Int) checkpointCount: number;
  @Field(() => Int) consistencyProofCount: number;
  @Field(() => SafeIntResolver) firstSeq: number;
  @Field(() => SafeIntResolver) lastSeq: number;
  @Field(() => SafeIntResolver, { description: "Tree size of the anchor checkpoint every inclusion proof leads to" }) anchorTreeSize: number;
  @Field(() => ID, { description: "kid of the checkpoint key that signed the manifest" }) kid: string;
}
