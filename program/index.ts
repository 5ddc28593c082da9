// Entry of the root Pulumi.yaml program (see program.ts).
import { rootProgram } from "./program";

const outputs = rootProgram();
export const bucketName = outputs.bucketName;
export const prefix = outputs.prefix;
export const serviceAccountName = outputs.serviceAccountName;
export const cronJobNames = outputs.cronJobNames;
export const storage = outputs.storage;
