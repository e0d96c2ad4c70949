// Syllables common in Vietnamese personal names: the tie-breaker when a legacy text also reads as valid Vietnamese
// (VNI "Hoà Thò Loan" is Hồ Thị Loan; TCVN3 "Vâ Kim Loan" is Võ Kim Loan). Both readings are syllables; only one
// is a likely name. Lower case, NFC, both tone placements where they differ.
export const FAMILY_SYLLABLES: ReadonlySet<string> = new Set(
  ('nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương lý đinh trương mai lưu đoàn đào cao lâm tạ ' +
    'hà châu tô trịnh lương kiều quách từ la thái tăng lạc giang mạc vương triệu khổng âu ông phùng thân doãn lã chu')
    .split(' '),
);

export const NAME_SYLLABLES: ReadonlySet<string> = new Set([
  ...FAMILY_SYLLABLES,
  ...('văn thị hữu đức minh quang thanh ngọc thu kim mỹ diệu anh hồng xuân thùy thuỳ bảo gia hoài khánh tuấn hùng ' +
    'dũng nam sơn hải long phong hoa lan hương huệ linh trang thảo nhung phương oanh yến vy nga hằng hạnh hiền hòa ' +
    'hoà thủy thuỷ thúy thuý hiếu hiệp huy huyền khoa khôi loan lộc lợi luân mạnh my nhàn nhi như nhật phúc quân ' +
    'quế quốc quyên quỳnh tài tâm tân thắng thành thịnh thông thư thương tiến toàn trí trinh trọng trung tú tùng ' +
    'tuyết uyên vân việt vinh ánh an bình chi chiến công cường đạt điệp định đông dung duy duyên hạ hân hào hậu ' +
    'hiển hoan hoàn hợp hưng kha khang khải kiên kiệt liên lực mẫn nghĩa ngân nguyên nhân ninh phát phụng quý sang ' +
    'sinh thắm thi thoa thuận thục tiên tín tình trà trâm triều trúc tuệ tường tươi vĩnh khuê khỏe khoẻ tuấn bích ' +
    'cúc đào giao hà hiệu hoa lệ liễu my ngà nguyệt nhạn phượng quyết sâm thảo thơ thủy trúc tuyền vi xuyến yên ' +
    'hưởng thuần thiện toản tráng trường tuân tú vượng bằng cảnh chính đăng đạo đoan hiếu hòa khiêm lãm lập luật ' +
    'ngọc nhẫn phi quảng sỹ sĩ tạo thạch thiên thống tiệp trung tuyên vỹ vĩ')
    .split(' '),
]);
