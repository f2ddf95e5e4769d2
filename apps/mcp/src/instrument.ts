import { startTelemetry } from '@memory/telemetry/otel-sdk';

startTelemetry('mcp');
