import * as L from '../src/domain/legacy-text.js';
for (const s of ['NguyÔn V¨n Hïng', 'Nguyeãn Vaên Huøng', 'Nguyá»…n VÄƒn HÃ¹ng', 'José', 'Müller', 'Østby', 'François', 'Nguyễn Văn Hùng', 'Lê Hé', 'NGUYÔN V¨N HïNG', 'NGUYEÃN VAÊN HUØNG', '¸nh TuyÕt', 'Ðinh'])
  console.log(s, '→', JSON.stringify(L.fixLegacyText(s)));
for (const n of ['Nguyễn Văn Hùng','Ánh Tuyết','Đặng Thị Ừng','Ngô Bảo Châu','Trương Ưng Quỳnh','Huỳnh Ỷ']) {
  console.log(n, L.encodeTcvn3(n), L.encodeVni(n), L.encodeDoubleUtf8(n), JSON.stringify([L.fixLegacyText(L.encodeTcvn3(n)), L.fixLegacyText(L.encodeVni(n)), L.fixLegacyText(L.encodeDoubleUtf8(n))].map(x=>x?.text)));
}
