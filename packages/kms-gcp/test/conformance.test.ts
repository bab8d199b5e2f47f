import { runKeyWrapperConformance } from '@agentvault/core/testing';
import { gcpWorld } from './support';

// Rotation as Cloud KMS does it: a new primary version of the same CryptoKey.
runKeyWrapperConformance('gcp kms (new primary version, real SDK client over gRPC on the fake)', async () => {
  const world = await gcpWorld();
  return {
    wrapper: world.wrapper(),
    twin: () => world.wrapper(),
    rotated: () => {
      world.fake.rotateKey(world.key);
      return world.wrapper();
    },
    stranger: () => world.wrapper(world.foreignKey, world.stranger),
    close: () => world.close(),
  };
});

// Rotation by configuration: the rotated instance wraps under a second CryptoKey.
runKeyWrapperConformance('gcp kms (second key, real SDK client over gRPC on the fake)', async () => {
  const world = await gcpWorld();
  return {
    wrapper: world.wrapper(),
    twin: () => world.wrapper(),
    rotated: () => world.wrapper(world.second, world.me, { previousKeyNames: [world.key] }),
    stranger: () => world.wrapper(world.foreignKey, world.stranger),
    close: () => world.close(),
  };
});
