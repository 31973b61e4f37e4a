import { All, Controller, Delete, Get, Post } from '@nestjs/common';
import { RouteTable } from './route-table';

@Controller('things')
class ThingsController {
  @Get()
  list(): string {
    return 'list';
  }
  @Post()
  create(): string {
    return 'create';
  }
  @Get(':id')
  get(): string {
    return 'get';
  }
  @Delete(':id')
  remove(): string {
    return 'remove';
  }
  @All('any')
  any(): string {
    return 'any';
  }
  helper(): string {
    return 'helper';
  }
}

describe('RouteTable', () => {
  const table = RouteTable.fromControllers([ThingsController]);

  it('lists the methods of a path, HEAD with GET, in a stable order', () => {
    expect(table.allowedMethods('/things')).toEqual(['GET', 'HEAD', 'POST']);
    expect(table.allowedMethods('/things/42')).toEqual(['GET', 'HEAD', 'DELETE']);
    expect(table.allowedMethods('/things/any')).toEqual(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
  });

  it('matches like express: case-insensitive, trailing slash ignored', () => {
    expect(table.allowedMethods('/Things/')).toEqual(['GET', 'HEAD', 'POST']);
  });

  it('finds nothing for paths no route has', () => {
    expect(table.allowedMethods('/')).toEqual([]);
    expect(table.allowedMethods('/nope')).toEqual([]);
    expect(table.allowedMethods('/things/42/parts')).toEqual([]);
  });

  it('refuses path syntax it cannot match', () => {
    expect(() => new RouteTable([{ path: '/files/*path', method: 'GET' }])).toThrow(/unsupported path syntax/);
  });

});
