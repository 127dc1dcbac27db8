// GraphQL shape of a regulators' report: the file (base64) with its detached signature and what it was
// built from (docs/regulatory-reports.md).
import { SafeIntResolver } from "graphql-scalars";
import { Field, ID, Int, ObjectType, registerEnumType } from "type-graphql";

export enum RegulatoryReportKindEnum {
  COMPLAINTS = "complaints",
  ACCESS = "access",
  TRAINING_CONTROLS = "training-controls",
}
registerEnumType(RegulatoryReportKindEnum, { name: "RegulatoryReportKind", description: "The complaint-handling return, the access report, or training and controls status" });

export enum RegulatoryReportFormatEnum {
  JSON = "json",
  CSV = "csv",
  XLSX = "xlsx",
  PDF = "pdf",
}
registerEnumType(RegulatoryReportFormatEnum, { name: "RegulatoryReportFormat" });

@ObjectType({ description: "A regulators' report file and its detached JWS signature; audited as report.generate" })
export class RegulatoryReport {
  @Field() fileName: string;
  @Field() mediaType: string;
  @Field({ description: "The file's bytes, base64 (RFC 4648)" }) contentBase64: string;
  @Field(() => Int) size: number;
  @Field({ description: "SHA-256 of the file's bytes, hex" }) sha256: string;
  @Field({ description: "Compact JWS over the file's hash and the checkpoint (save it as FILE.jws)" }) signature: string;
  @Field(() => SafeIntResolver, { description: "Seq (tree size) of the signed audit checkpoint the report was built from" }) checkpointSeq: number;
  @Field({ description: "Merkle root hash of that checkpoint, hex" }) rootHash: string;
  @Field(() => ID, { description: "kid of the checkpoint key that signed" }) kid: string;
  @Field() generatedAt: Date;
}
