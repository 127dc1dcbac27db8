// Relay-style connections: one generic builder so every list pages and counts the same way.
import { Field, Int, ObjectType } from "type-graphql";
import type { Page } from "../store/paging";

@ObjectType()
export class PageInfo {
  @Field() hasNextPage: boolean;
  @Field() hasPreviousPage: boolean;
  @Field(() => String, { nullable: true }) startCursor: string | null;
  @Field(() => String, { nullable: true }) endCursor: string | null;
}

export interface ConnectionShape<T> {
  totalCount: number;
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: PageInfo;
}

type Constructor<T> = new (...args: never[]) => T;

/** Builds `<Name>Connection` and `<Name>Edge` types for a node type. */
export function ConnectionType<T extends object>(node: Constructor<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field() cursor: string;
    @Field(() => node) node: T;
  }
  @ObjectType(`${name}Connection`)
  class Connection implements ConnectionShape<T> {
    @Field(() => Int) totalCount: number;
    @Field(() => [Edge]) edges: Edge[];
    @Field(() => PageInfo) pageInfo: PageInfo;
  }
  return Connection;
}

export function toConnection<S, T>(page: Page<S>, map: (s: S) => T): ConnectionShape<T> {
  return {
    totalCount: page.totalCount,
    edges: page.items.map((item, i) => ({ cursor: page.cursors[i], node: map(item) })),
    pageInfo: { hasNextPage: page.hasNextPage, hasPreviousPage: false, startCursor: page.startCursor, endCursor: page.endCursor },
  };
}
