/**
 * The part of the WebAssembly JavaScript API the runtime uses. The project compiles with lib ES2022
 * and @types/node 20, neither of which declares WebAssembly (it lives in TypeScript's DOM and
 * webworker libs, which would bring browser globals into a Node library). Remove this file if the
 * project ever adds one of those libs.
 */
declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  interface Memory {
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  var Memory: {
    prototype: Memory;
    new (descriptor: MemoryDescriptor): Memory;
  };
  interface Module {
    /** Brand: compiled modules have no JS-visible properties. */
    readonly __compiledModule?: never;
  }
  interface ModuleImportDescriptor {
    kind: "function" | "global" | "memory" | "table";
    module: string;
    name: string;
  }
  var Module: {
    prototype: Module;
    new (bytes: ArrayBufferView | ArrayBuffer): Module;
    imports(module: Module): ModuleImportDescriptor[];
  };
  type Exports = Record<string, unknown>;
  interface Instance {
    readonly exports: Exports;
  }
  var Instance: {
    prototype: Instance;
    new (module: Module, importObject?: Record<string, Record<string, unknown>>): Instance;
  };
  interface RuntimeError extends Error {}
  var RuntimeError: {
    prototype: RuntimeError;
    new (message?: string): RuntimeError;
  };
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
}
