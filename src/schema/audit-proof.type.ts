// GraphQL shape of Merkle proofs over the audit log (docs/audit-merkle.md §4). Hashes are 64 lower-case hex.
import { SafeIntResolver } from "graphql-scalars";
import { Field, ObjectType } from "type-graphql";

@ObjectType({ description: "That event `seq` is leaf seq − 1 of the RFC 6962 tree of the first `treeSize` events" })
export class AuditInclusionProof {
  @Field(() => SafeIntResolver) seq: number;
  @Field(() => SafeIntResolver, { description: "seq − 1" }) leafIndex: number;
  @Field(() => SafeIntResolver) treeSize: number;
  @Field(() => String, { nullable: true, description: "The event's chain hash, the leaf data (null if its partition was archived)" }) eventHash: string | null;
  @Field({ description: "SHA-256(0x00 ‖ eventHash as 32 bytes)" }) leafHash: string;
  @Field(() => [String], { description: "The audit path, the sibling nearest the leaf first (RFC 6962 §2.1.1)" }) proof: string[];
  @Field({ description: "The tree head of the first treeSize events" }) rootHash: string;
  @Field(() => String, { nullable: true, description: "The signed checkpoint (compact JWS) sealed at treeSize, if any: its rootHash is this root" })
  checkpoint: string | null;
}

@ObjectType({ description: "That the tree of `toSize` events extends the tree of `fromSize` events (RFC 6962 §2.1.2)" })
export class AuditConsistencyProof {
  @Field(() => SafeIntResolver) fromSize: number;
  @Field(() => SafeIntResolver) toSize: number;
  @Field(() => [String]) proof: string[];
  @Field() fromRootHash: string;
  @Field() toRootHash: string;
  @Field(() => String, { nullable: true, description: "The signed checkpoint sealed at fromSize, if any" }) fromCheckpoint: string | null;
  @Field(() => String, { nullable: true, description: "The signed checkpoint sealed at toSize, if any" }) toCheckpoint: string | null;
}
