export * from './batch-consumer';
export * from './codecs';
export * from './dead-letter.publisher';
export * from './failure';
export * from './kafka-admin.service';
export * from './kafka-client.factory';
export * from './kafka-producer.service';
export * from './kafka.module';
