import * as L from '../src/domain/legacy-text.js';
const s = 'Nguyá»…n VÄƒn HÃ¹ng';
console.log([...s].map(c => c.charCodeAt(0).toString(16)).join(' '));
console.log(L.decodeDoubleUtf8(s), L.decodeDoubleUtf8('Nguyá»…n'), L.decodeDoubleUtf8('VÄƒn'), L.decodeDoubleUtf8('HÃ¹ng'));
