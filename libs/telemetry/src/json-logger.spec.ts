import { JsonLogger } from './json-logger';

describe(JsonLogger.name, () => {
  const setup = (level: 'info' | 'debug' = 'info') => {
    const lines: string[] = [];
    const logger = new JsonLogger({
      service: 'ingest',
      level,
      format: 'json',
      write: (line) => lines.push(line),
    });
    return {
      logger,
      entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    };
  };

  it('writes one JSON object per entry with level, service and context', () => {
    const { logger, entries } = setup();
    logger.log('started', 'Bootstrap');
    expect(entries()).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'ingest',
        context: 'Bootstrap',
        msg: 'started',
      }),
    ]);
  });

  it('merges structured fields', () => {
    const { logger, entries } = setup();
    logger.warn({ msg: 'batch failed', partition: 2 }, 'Consumer');
    expect(entries()[0]).toMatchObject({
      msg: 'batch failed',
      partition: 2,
      context: 'Consumer',
      level: 'warn',
    });
  });

  it('drops entries below the configured level', () => {
    const { logger, entries } = setup('info');
    logger.debug('noise', 'X');
    logger.verbose('more noise', 'X');
    expect(entries()).toHaveLength(0);
  });

  it('keeps the stack of an error', () => {
    const { logger, entries } = setup();
    logger.error(new Error('boom'), 'X');
    expect(entries()[0]).toMatchObject({
      msg: 'boom',
      err: expect.objectContaining({ name: 'Error' }),
    });
  });
});
