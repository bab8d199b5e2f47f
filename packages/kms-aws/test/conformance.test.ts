import { runKeyWrapperConformance } from '@agentvault/core/testing';
import { kmsWorld } from './support';

// Rotation by configuration: the rotated instance wraps under a different KMS key (ARN).
runKeyWrapperConformance('aws kms (key ARN, real SDK client on the fake)', async () => {
  const world = await kmsWorld();
  return {
    wrapper: world.wrapper(),
    twin: () => world.wrapper(),
    rotated: () => world.wrapper(world.newer, world.me, [world.key]),
    stranger: () => world.wrapper(world.foreignKey, world.stranger),
    close: () => world.close(),
  };
});

// Rotation by alias: the alias is repointed to a newer key; what the old key wrapped still unwraps
// because each wrapped key records the key ARN KMS answered with, not the alias.
runKeyWrapperConformance('aws kms (alias, real SDK client on the fake)', async () => {
  const world = await kmsWorld();
  const alias = world.fake.setAlias('agentvault', world.key);
  return {
    wrapper: world.wrapper(alias),
    twin: () => world.wrapper(alias),
    rotated: () => {
      world.fake.setAlias('agentvault', world.newer);
      return world.wrapper(alias, world.me, [world.key]);
    },
    stranger: () => world.wrapper(world.foreignKey, world.stranger),
    close: () => world.close(),
  };
});
