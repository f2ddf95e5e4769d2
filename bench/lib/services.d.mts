import type { ChildProcess } from 'node:child_process';
import type { Kafka } from 'kafkajs';

export const ROOT: string;
export function runStep(
  scope: string,
  title: string,
  args: string[],
  env?: Record<string, string>,
): void;
export function stackAndBuild(scope: string): void;
export function databaseUrl(serverUrl: string, name: string): string;
export function freshDatabase(scope: string, serverUrl: string, name: string): Promise<void>;
export function groupsAtEnd(
  kafka: Kafka,
  prefix: string,
  topicGroups: Array<[string, string]>,
): Promise<void>;
export function intEnv(name: string, fallback: number): number;
export function freePort(): Promise<number>;
export function sleep(ms: number): Promise<void>;
export function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs?: number,
  everyMs?: number,
): Promise<T>;
export function startService(
  scope: string,
  name: string,
  env: Record<string, string>,
): ChildProcess;
export function stopServices(signal?: NodeJS.Signals): void;
export function waitReady(port: number): Promise<void>;
