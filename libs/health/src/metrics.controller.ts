import { serveMetrics } from '@memory/telemetry';
import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * `GET /metrics`: the service's OpenTelemetry metrics in the Prometheus text format, collected
 * at each scrape. 503 when telemetry is off (OTEL_SDK_DISABLED=true).
 */
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  @Get()
  scrape(@Req() request: IncomingMessage, @Res() response: ServerResponse): void {
    serveMetrics(request, response);
  }
}
