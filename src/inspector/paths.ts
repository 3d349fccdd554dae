// Where the inspector page lives; a module of its own so CLIs can link to it without loading the app.
export const INSPECTOR_PATH = '/inspector';
export const SIGNIN_PATH = '/inspector/signin';
