import { prometheusMetrics } from '@memory/telemetry';
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
    const exporter = prometheusMetrics();
    if (!exporter) {
      response.statusCode = 503;
      response.setHeader('content-type', 'text/plain; charset=utf-8');
      response.end('# metrics are off: OTEL_SDK_DISABLED=true\n');
      return;
    }
    exporter.getMetricsRequestHandler(request, response);
  }
}
