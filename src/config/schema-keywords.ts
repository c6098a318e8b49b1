// Shared by every schema file: our `x-expect` annotation (the phrase error messages use for what
// a value should be) and the closed-object option (unknown keys are errors).
export const EXPECT = 'x-expect'
export const closed = Object.freeze({ additionalProperties: false as const })
