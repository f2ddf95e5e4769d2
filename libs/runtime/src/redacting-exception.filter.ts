import { SecretRedactor } from '@memory/config';
import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { errorBody } from './error-body';

/**
 * The one exception filter of every service: whatever a route throws is answered with the one
 * {@link ErrorBody} shape, with every password the service knows (and every URL credential)
 * masked (readiness answers carry the engines' error messages, and those may quote a connection
 * string). What is not an HttpException is a 500 whose details go to the log only.
 */
@Catch()
export class RedactingExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly redactor: SecretRedactor,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const context = host.switchToHttp();
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let raw: unknown = { message: 'internal server error' };
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      raw = exception.getResponse();
    } else {
      this.logger.error({
        msg: 'unhandled error in a request',
        error: this.redactor.redactValue(
          exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
        ),
      });
    }
    const body = this.redactor.redactValue(errorBody(status, raw));
    httpAdapter.reply(context.getResponse(), body, status);
  }
}
