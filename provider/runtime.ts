/**
 * The old home of the restore's runtime, kept because stacks already hold it: the dynamic
 * provider serialized into a GitGuardianRestore's state by earlier versions requires
 * `pulumi-gitguardian-backup/dist/provider/runtime.js`. New states name dist/restore/runtime.js.
 */
export * from "../restore/runtime";
