// Placeholder: the implementation comes with issue 3.
export {};
