import { RouteTable } from '@etcd-patterns/nest';
import { GatewayController } from './gateway.controller';
import { HealthController } from './health.controller';

// RouteTable itself is tested in libs/nest; this checks it reads the gateway's controllers.
describe('RouteTable of the gateway', () => {
  it("reads the gateway's own routes", () => {
    const gateway = RouteTable.fromControllers([GatewayController, HealthController]);
    expect(gateway.allowedMethods('/hello')).toEqual(['GET', 'HEAD']);
    expect(gateway.allowedMethods('/jobs')).toEqual(['POST']);
    expect(gateway.allowedMethods('/jobs/8e03978e-40d5-43e8-bc93-6894a57f9324')).toEqual(['GET', 'HEAD']);
    expect(gateway.allowedMethods('/config/dev/greeter')).toEqual(['GET', 'HEAD']);
    expect(gateway.allowedMethods('/readyz')).toEqual(['GET', 'HEAD']);
  });
});
