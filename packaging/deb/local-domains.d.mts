// Types of local-domains.mjs (plain JavaScript, run by postinst without a build), for the tests.
export function isUserDomain(name: string): boolean;
export function parsePostconf(text: string): Map<string, string>;
export function expandPostfix(value: string, params: Map<string, string>): string;
export function postfixDomains(postconfOutput: string, readFile?: (path: string) => string): string[];
export function eximDomains(bpOutput: string, primaryHostname?: string, readFile?: (path: string) => string): string[];
export function debconfEximDomains(updateEximConf: string): string[];
export function fillConfig(text: string, domains: string[]): string | undefined;
