export { callEcho, EchoClient, EchoServer, echoServiceDefinition } from './echo-service';
export type { EchoMessage, EchoServerOptions } from './echo-service';
