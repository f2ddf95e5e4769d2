import { SecretRedactor } from '@memory/config';
import { ArgumentsHost, Catch, HttpException } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';

/**
 * Nest's own error handling, with every password the service knows (and every URL credential)
 * masked in 4xx/5xx bodies: readiness answers carry the engines' error messages, and those may
 * quote a connection string.
 */
@Catch()
export class RedactingExceptionFilter extends BaseExceptionFilter {
  constructor(
    adapterHost: HttpAdapterHost,
    private readonly redactor: SecretRedactor,
  ) {
    super(adapterHost.httpAdapter);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const redacted = this.redactor.redactValue(body);
      if (redacted !== body) {
        super.catch(new HttpException(redacted, exception.getStatus()), host);
        return;
      }
    }
    super.catch(exception, host);
  }
}
